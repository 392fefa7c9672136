//===- TuneCommand.cpp - `dlc tune`: autotune schedules into a cache ------===//
//
//   dlc tune model.json --tuning-cache=tune.json [--device=cpu|cuda]
//       [--target=sm_90] [--max-candidates=N] [--repeat=N] [--seed=S]
//   dlc tune model.json --list-candidates [--max-candidates=N]
//   ... [--train-step [--gradients-only]]     a training program's fusions
//
// For every tiled_gemm and row_reduce fusion (one per signature), the
// candidates of scheduleCandidates (passes/Schedule.h: valid by
// construction) are each compiled through a one-entry tuning cache (so
// --dlc-tile checks them as it checks any cache), run on the same random
// inputs as the default schedule, and rejected when an output differs from
// the default's; the fastest of the rest (the default included) goes into
// --tuning-cache, replacing that signature's entry for the target and
// keeping every other entry. Times are CUDA-event kernel times on a GPU;
// on the CPU device, wall-clock times of the whole program, which say
// nothing about a GPU. Last, the model is compiled with the written cache
// and its outputs checked against the reference interpreter.
// docs/schedule.md.
//
//===----------------------------------------------------------------------===//
#include "tools/dlc/Commands.h"

#include "codegen/CudaEmitter.h"
#include "ir/FusionOps.h"
#include "ir/Interpreter.h"
#include "passes/Passes.h"
#include "passes/Pipeline.h"
#include "passes/Schedule.h"
#include "passes/TrainingStep.h"
#include "runtime/core/AtomicFile.h"
#include "runtime/cpu/CpuDevice.h"
#include "runtime/cuda/CudaDevice.h"
#include "runtime/core/FloatConvert.h"

#include "mlir/Pass/PassManager.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <set>

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

enum class Device { Cpu, Cuda };

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
cl::opt<Device> device(
    "device", cl::desc("Where candidates run and are timed"),
    cl::values(clEnumValN(Device::Cuda, "cuda",
                          "the GPU: CUDA-event time of the fusion's kernel "
                          "(default)"),
               clEnumValN(Device::Cpu, "cpu",
                          "host threads: wall-clock time of the whole "
                          "program, meaningless for a GPU (tests, dry runs)")),
    cl::init(Device::Cuda), DLC_TUNE_OPT);
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

int fail(const llvm::Twine &msg, int code = kUserError) {
  llvm::errs() << "dlc tune: " << msg << "\n";
  return code;
}

/// The model as `dlc` compiles it: its training step with --train-step
/// (the same builders as CompileCommand.cpp); false after reporting.
bool buildProgram(mlir::ModuleOp module) {
  if (tuneGradientsOnly && !tuneTrainStep) {
    llvm::errs() << "dlc tune: --gradients-only needs --train-step\n";
    return false;
  }
  if (!tuneTrainStep)
    return true;
  if (tuneGradientsOnly) {
    mlir::PassManager pm(module.getContext());
    pm.addPass(mlir::dlc::createDlcAutodiff());
    return succeeded(pm.run(module));
  }
  return succeeded(mlir::dlc::buildTrainingStep(module));
}

/// A tunable fusion: its name, cache key and default schedule.
struct Tunable {
  std::string fusion, signature;
  mlir::dlc::Schedule base;
};

/// Element values as doubles, for comparisons.
std::vector<double> toDoubles(const HostTensor &t) {
  std::vector<double> out(size_t(t.numel()));
  const uint8_t *p = t.bytes.data();
  for (size_t i = 0; i < out.size(); ++i) {
    switch (t.dtype) {
    case DType::F32: {
      float f;
      std::memcpy(&f, p + 4 * i, 4);
      out[i] = f;
      break;
    }
    case DType::F64:
      std::memcpy(&out[i], p + 8 * i, 8);
      break;
    case DType::F16:
    case DType::BF16: {
      uint16_t h;
      std::memcpy(&h, p + 2 * i, 2);
      out[i] = t.dtype == DType::F16 ? ref::halfToDouble(h)
                                     : ref::bfloat16ToDouble(h);
      break;
    }
    case DType::I1:
      out[i] = p[i];
      break;
    case DType::I32: {
      int32_t v;
      std::memcpy(&v, p + 4 * i, 4);
      out[i] = v;
      break;
    }
    case DType::I64: {
      int64_t v;
      std::memcpy(&v, p + 8 * i, 8);
      out[i] = double(v);
      break;
    }
    }
  }
  return out;
}

/// Largest |a - b| over the largest |b|: NaN when a NaN appears.
double relativeError(const HostTensor &a, const HostTensor &b) {
  std::vector<double> x = toDoubles(a), y = toDoubles(b);
  if (x.size() != y.size())
    return NAN;
  double err = 0, scale = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    if (std::isnan(x[i]) != std::isnan(y[i]))
      return NAN;
    err = std::max(err, std::fabs(x[i] - y[i]));
    scale = std::max(scale, std::fabs(y[i]));
  }
  return err / std::max(scale, 1e-30);
}

/// What two schedules of one computation may differ by: the summation order
/// of f32 accumulators, then one rounding of the stored type.
double tolerance(DType t) {
  switch (t) {
  case DType::F64:
    return 1e-12;
  case DType::F32:
    return 1e-5;
  case DType::F16:
    return 4e-3;
  case DType::BF16:
    return 2e-2;
  default:
    return 0;
  }
}

uint64_t splitmix(uint64_t &s) {
  uint64_t z = (s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/// Uniform [-1, 1) floats; integers 0 or 1 (valid labels for any loss).
HostTensor randomTensor(DType dtype, const std::vector<int64_t> &shape,
                        uint64_t s) {
  HostTensor t = HostTensor::zeros(dtype, shape);
  uint8_t *p = t.bytes.data();
  for (int64_t i = 0; i < t.numel(); ++i) {
    uint64_t r = splitmix(s);
    double u = double(r >> 11) * (1.0 / 9007199254740992.0) * 2.0 - 1.0;
    switch (dtype) {
    case DType::F32: {
      float f = float(u);
      std::memcpy(p + 4 * i, &f, 4);
      break;
    }
    case DType::F64:
      std::memcpy(p + 8 * i, &u, 8);
      break;
    case DType::F16:
    case DType::BF16: {
      uint16_t h = dtype == DType::F16 ? ref::doubleToHalf(u)
                                       : ref::doubleToBFloat16(u);
      std::memcpy(p + 2 * i, &h, 2);
      break;
    }
    case DType::I1:
      p[i] = uint8_t(r & 1);
      break;
    case DType::I32: {
      int32_t v = int32_t(r & 1);
      std::memcpy(p + 4 * i, &v, 4);
      break;
    }
    case DType::I64: {
      int64_t v = int64_t(r & 1);
      std::memcpy(p + 8 * i, &v, 8);
      break;
    }
    }
  }
  return t;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

/// One compile-and-run of the model under a tuning cache.
struct Measurement {
  std::map<std::string, HostTensor> outputs; // by model name
  std::map<std::string, DType> dtypes;
  /// Medians: each kernel's CUDA-event time (cuda), the program's wall
  /// clock (cpu and cuda).
  std::map<std::string, double> kernelUs;
  double programUs = 0;
  /// What a fusion's candidate is judged by.
  double timeOf(const std::string &fusion, bool cuda) const {
    auto it = kernelUs.find(fusion);
    return cuda && it != kernelUs.end() ? it->second : programUs;
  }
};

class Tuner {
public:
  Tuner(mlir::ModuleOp model, dlc::Device &dev, bool cuda)
      : model(model), dev(dev), cuda(cuda) {}

  /// The model's inputs (random) and params (its initializers).
  bool prepareInputs(std::string &err) {
    auto params = materializeParams(model);
    if (failed(params)) {
      err = "cannot materialize the params (see above)";
      return false;
    }
    inputs = std::move(*params);
    auto values = describeModel(getModelFunction(model));
    if (failed(values)) {
      err = "cannot describe the model (see above)";
      return false;
    }
    uint64_t s = seed;
    for (const ModelValue &mv : *values) {
      if (mv.kind != ModelValue::Kind::Input)
        continue;
      HostTensor t = randomTensor(mv.dtype, mv.shape, s++ * 7919 + 1);
      // A training step's optimizer inputs (passes/TrainingStep.h) as in a
      // real step: step 10, lr 1e-3, second moments non-negative.
      if (mv.dtype == DType::F32 && (mv.name == "opt.step" || mv.name == "opt.lr"))
        *reinterpret_cast<float *>(t.bytes.data()) =
            mv.name == "opt.step" ? 10.0f : 1e-3f;
      else if (mv.dtype == DType::F32 &&
               llvm::StringRef(mv.name).starts_with("state/exp_avg_sq/"))
        for (int64_t i = 0; i < t.numel(); ++i)
          reinterpret_cast<float *>(t.bytes.data())[i] =
              std::fabs(reinterpret_cast<float *>(t.bytes.data())[i]);
      inputs[mv.name] = std::move(t);
    }
    return true;
  }
  const std::map<std::string, HostTensor> &modelInputs() const {
    return inputs;
  }

  /// The tiled_gemm and row_reduce fusions of the default compile, one per
  /// signature.
  bool tunables(std::vector<Tunable> &out) {
    mlir::OwningOpRef<mlir::ModuleOp> m = model.clone();
    mlir::PassManager pm(model.getContext());
    mlir::dlc::PipelineOptions opts;
    opts.target = target;
    opts.stopAfter = mlir::dlc::Phase::Tiled;
    mlir::dlc::buildCompilePipeline(pm, opts);
    if (failed(pm.run(*m)))
      return false;
    std::set<std::string> seen;
    bool ok = true;
    getModelFunction(*m).walk([&](mlir::dlc::FusionOp fusion) {
      auto s = mlir::dlc::readSchedule(fusion);
      if (failed(s)) {
        ok = false;
        return;
      }
      if ((s->isTiledGemm() || s->isRowReduce()) &&
          seen.insert(s->signature).second)
        out.push_back({fusion.getName().str(), s->signature, *s});
    });
    return ok;
  }

  /// Compiles the model with `cache` ("" for none), runs it `repeat` times
  /// after a warm-up and times each kernel (cuda) and the whole program.
  bool measure(const std::string &cache, Measurement &out,
               std::string &err) {
    mlir::OwningOpRef<mlir::ModuleOp> m = model.clone();
    mlir::PassManager pm(model.getContext());
    mlir::dlc::PipelineOptions opts;
    opts.target = target;
    opts.tuningCache = cache;
    mlir::dlc::buildCompilePipeline(pm, opts);
    if (failed(pm.run(*m))) {
      err = "the compile pipeline rejected it (see above)";
      return false;
    }
    auto emitted = mlir::dlc::emitCuda(getModelFunction(*m));
    if (failed(emitted)) {
      err = "CUDA emission failed (see above)";
      return false;
    }
    Program program;
    if (!Program::parse(emitted->manifestJson, emitted->source, program,
                        err) ||
        !dev.load(program, err))
      return false;
    std::map<std::string, HostTensor> outputs = makeOutputs(program, true);
    BufferBindings bind;
    for (const ProgramBuffer &b : program.buffers()) {
      if (b.role == BufferRole::Intermediate)
        continue;
      if (b.role == BufferRole::Output) {
        bind[b.name] = &outputs.at(b.name);
        out.dtypes[b.modelName] = b.dtype;
        continue;
      }
      auto it = inputs.find(b.modelName);
      if (it == inputs.end()) {
        err = "no value for '" + b.modelName + "'";
        return false;
      }
      bind[b.name] = &it->second;
    }
    std::vector<double> times;
    std::map<std::string, std::vector<double>> kernels;
    for (unsigned i = 0; i <= repeat; ++i) {
      auto t0 = std::chrono::steady_clock::now();
      if (!dev.run(bind, err))
        return false;
      if (i == 0) // the warm-up
        continue;
      times.push_back(std::chrono::duration<double, std::micro>(
                          std::chrono::steady_clock::now() - t0)
                          .count());
      if (cuda)
        for (const KernelTiming &k :
             static_cast<CudaDevice &>(dev).lastTimings())
          kernels[k.name].push_back(k.durationUs);
    }
    out.programUs = median(times);
    for (auto &[name, t] : kernels)
      out.kernelUs[name] = median(t);
    for (const ProgramBuffer &b : program.buffers())
      if (b.role == BufferRole::Output)
        out.outputs[b.modelName] = std::move(outputs.at(b.name));
    return true;
  }

private:
  mlir::ModuleOp model;
  dlc::Device &dev;
  bool cuda;
  std::map<std::string, HostTensor> inputs;
};

/// The choices of `s` a cache entry sets (Tile.cpp's overridable keys).
llvm::json::Object cacheChoices(const mlir::dlc::Schedule &s) {
  llvm::json::Object o;
  if (s.isTiledGemm()) {
    o["tile"] = llvm::json::Array{s.tile[0], s.tile[1], s.tile[2]};
    o["warps"] = llvm::json::Array{s.warps[0], s.warps[1]};
    o["stages"] = s.stages;
    o["mma"] = s.mma;
  } else {
    o["threads_per_row"] = s.threadsPerRow;
    o["rows_per_block"] = s.rowsPerBlock;
  }
  return o;
}

std::string describe(const mlir::dlc::Schedule &s) {
  std::string out;
  llvm::raw_string_ostream os(out);
  if (s.isTiledGemm())
    os << "tile " << s.tile[0] << "x" << s.tile[1] << "x" << s.tile[2]
       << " warps " << s.warps[0] << "x" << s.warps[1] << " stages "
       << s.stages << " mma " << s.mma;
  else
    os << "threads_per_row " << s.threadsPerRow << " rows_per_block "
       << s.rowsPerBlock;
  return out;
}

llvm::json::Object entry(const Tunable &t, const mlir::dlc::Schedule &s,
                         bool withFusion) {
  llvm::json::Object e;
  e["target"] = target.getValue();
  if (withFusion)
    e["fusion"] = t.fusion;
  e["signature"] = t.signature;
  e["schedule"] = cacheChoices(s);
  return e;
}

bool writeJson(const std::string &path, llvm::json::Value value,
               std::string &err) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << llvm::formatv("{0:2}", value) << "\n";
  return writeFileAtomically(path, {text}, err);
}

/// The entries of an existing cache (none when the file does not exist).
bool readExisting(const std::string &path, llvm::json::Array &entries,
                  std::string &err) {
  if (!llvm::sys::fs::exists(path))
    return true;
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buffer) {
    err = "cannot read: " + buffer.getError().message();
    return false;
  }
  auto parsed = llvm::json::parse((*buffer)->getBuffer());
  if (!parsed) {
    err = "invalid JSON: " + llvm::toString(parsed.takeError());
    return false;
  }
  llvm::json::Object *top = parsed->getAsObject();
  llvm::json::Array *list = top ? top->getArray("entries") : nullptr;
  if (!top || top->getInteger("version") != 1 || !list) {
    err = "not a tuning cache (expects {\"version\": 1, \"entries\": [...]})";
    return false;
  }
  entries = std::move(*list);
  return true;
}

} // namespace

int tuneMain() {
  if (modelPath.empty())
    return fail("no model given; usage: dlc tune model.json "
                "--tuning-cache=tune.json [--device=cpu|cuda]");
  if (cachePath.empty() && !listCandidates)
    return fail("--tuning-cache=<file.json> is required: where the results "
                "go");
  if (!mlir::dlc::getTargetInfo(target))
    return fail("unknown --target '" + target + "'; expected sm_80 or sm_90");
  if (repeat < 1)
    return fail("--repeat must be at least 1");
  std::string err;
  if (listCandidates) {
    Session session;
    auto module = session.load(modelPath);
    if (!module || !buildProgram(*module))
      return kUserError;
    CpuDevice unused;
    Tuner tuner(*module, unused, false);
    std::vector<Tunable> tunables;
    if (!tuner.tunables(tunables))
      return fail("the model does not compile (see above)", kInternalError);
    for (const Tunable &t : tunables) {
      // The default first (index 0), then the candidates.
      llvm::outs() << llvm::formatv("{0}", llvm::json::Value(entry(t, t.base, false)))
                   << "\n";
      for (const mlir::dlc::Schedule &c :
           mlir::dlc::scheduleCandidates(t.base, maxCandidates))
        llvm::outs() << llvm::formatv("{0}", llvm::json::Value(entry(t, c, false)))
                     << "\n";
    }
    return kOk;
  }
  // The cache's directory must take the file, checked before any tuning.
  llvm::SmallString<256> dir(cachePath.getValue());
  llvm::sys::path::remove_filename(dir);
  if (dir.empty())
    dir = ".";
  if (!llvm::sys::fs::is_directory(dir))
    return fail("--tuning-cache '" + cachePath + "': directory '" + dir +
                "' does not exist");
  if (llvm::sys::fs::is_directory(cachePath.getValue()))
    return fail("--tuning-cache '" + cachePath + "' is a directory");
  llvm::json::Array kept;
  if (!readExisting(cachePath, kept, err))
    return fail("--tuning-cache '" + cachePath + "': " + err);
  if (std::error_code ec =
          llvm::sys::fs::access(dir, llvm::sys::fs::AccessMode::Write))
    return fail("--tuning-cache '" + cachePath + "': directory '" + dir +
                "' is not writable: " + ec.message());

  Session session;
  auto module = session.load(modelPath);
  if (!module || !buildProgram(*module))
    return kUserError;

  std::unique_ptr<dlc::Device> dev;
  if (device == Device::Cuda) {
    CudaDeviceOptions opts;
    opts.profile = true; // CUDA events around each kernel
    dev = CudaDevice::create(opts, err);
    if (!dev)
      return fail("--device=cuda: " + err + " (--device=cpu tunes on host "
                  "threads, for a dry run)");
  } else {
    dev = std::make_unique<CpuDevice>();
  }
  bool cuda = device == Device::Cuda;
  Tuner tuner(*module, *dev, cuda);
  std::vector<Tunable> tunables;
  if (!tuner.prepareInputs(err))
    return fail(err);
  if (!tuner.tunables(tunables))
    return fail("the model does not compile (see above)", kInternalError);

  llvm::SmallString<256> scratch;
  if (std::error_code ec = llvm::sys::fs::createTemporaryFile(
          "dlc-tune", "json", scratch))
    return fail("cannot create a temporary file: " + ec.message(),
                kInternalError);
  llvm::FileRemover removeScratch(scratch);

  llvm::outs() << "tuning " << tunables.size() << " fusion(s) for " << target
               << " on " << (cuda ? "cuda (kernel time, CUDA events)"
                                  : "cpu (program wall-clock time: NOT a "
                                    "GPU figure)")
               << "\n";
  Measurement base;
  if (!tuner.measure("", base, err))
    return fail("the default schedules: " + err, kInternalError);

  llvm::json::Array results;
  unsigned rejected = 0;
  for (const Tunable &t : tunables) {
    std::vector<mlir::dlc::Schedule> candidates =
        mlir::dlc::scheduleCandidates(t.base, maxCandidates);
    llvm::outs() << "fusion " << t.fusion << " (" << t.base.strategy << "): "
                 << candidates.size() << " candidate(s)\n  signature "
                 << t.signature << "\n";
    double defUs = base.timeOf(t.fusion, cuda);
    llvm::outs() << "  default   " << describe(t.base) << ": "
                 << llvm::format("%.1f", defUs) << " us\n";
    mlir::dlc::Schedule best = t.base;
    double bestUs = defUs;
    for (const mlir::dlc::Schedule &c : candidates) {
      llvm::json::Object cache{{"version", 1},
                               {"entries", llvm::json::Array{entry(t, c, true)}}};
      Measurement got;
      std::string why;
      if (!writeJson(std::string(scratch), std::move(cache), err))
        return fail("the candidate cache: " + err, kInternalError);
      if (!tuner.measure(std::string(scratch), got, err)) {
        why = err;
      } else {
        for (auto &[name, ref] : base.outputs) {
          double e = relativeError(got.outputs.at(name), ref);
          if (!(e <= tolerance(base.dtypes.at(name)))) {
            why = "output '" + name + "' differs from the default's by " +
                  llvm::formatv("{0:e2}", e).str() + " of its scale";
            break;
          }
        }
      }
      if (!why.empty()) {
        ++rejected;
        llvm::outs() << "  REJECTED  " << describe(c) << ": " << why << "\n";
        continue;
      }
      llvm::outs() << "  candidate " << describe(c) << ": "
                   << llvm::format("%.1f", got.timeOf(t.fusion, cuda))
                   << " us\n";
      if (got.timeOf(t.fusion, cuda) < bestUs)
        best = c, bestUs = got.timeOf(t.fusion, cuda);
    }
    llvm::outs() << "  best      " << describe(best) << ": "
                 << llvm::format("%.1f", bestUs) << " us ("
                 << llvm::format("%.2f", defUs / std::max(bestUs, 1e-9))
                 << "x the default)\n";
    results.push_back(entry(t, best, false));
  }

  // The cache: kept entries of other signatures (or targets), then ours.
  llvm::json::Array entries;
  for (llvm::json::Value &v : kept) {
    const llvm::json::Object *o = v.getAsObject();
    bool replaced = false;
    for (const Tunable &t : tunables)
      if (o && o->getString("signature") == llvm::StringRef(t.signature) &&
          (!o->getString("target") || *o->getString("target") == target))
        replaced = true;
    if (!replaced)
      entries.push_back(std::move(v));
  }
  for (llvm::json::Value &v : results)
    entries.push_back(std::move(v));
  size_t count = entries.size();
  llvm::json::Object top{{"version", 1}, {"entries", std::move(entries)}};
  if (!writeJson(cachePath, std::move(top), err))
    return fail("--tuning-cache '" + cachePath + "': " + err);

  // The tuned model against the reference interpreter, through the file.
  Measurement tuned;
  if (!tuner.measure(cachePath, tuned, err))
    return fail("the tuned model: " + err, kInternalError);
  auto reference =
      runModel(*module,
               [&] {
                 std::map<std::string, HostTensor> in;
                 auto values = describeModel(getModelFunction(*module));
                 for (const ModelValue &mv : *values)
                   if (mv.kind == ModelValue::Kind::Input)
                     in[mv.name] = tuner.modelInputs().at(mv.name);
                 return in;
               }(),
               {Precision::F32});
  if (failed(reference))
    return fail("the reference interpreter failed (see above)",
                kInternalError);
  double worst = 0;
  for (const NamedTensor &r : *reference) {
    double e = relativeError(tuned.outputs.at(r.name), r.tensor);
    // The reference sums in another order and rounds once at the end.
    double tol = std::max(1e-4, 2 * tolerance(tuned.dtypes.at(r.name)));
    if (!(e <= tol))
      return fail("the tuned model's output '" + r.name + "' differs from " +
                      "the reference interpreter by " +
                      llvm::formatv("{0:e2}", e).str() + " of its scale",
                  kInternalError);
    worst = std::max(worst, e);
  }
  llvm::outs() << "wrote " << cachePath << ": " << count << " entr"
               << (count == 1 ? "y" : "ies") << " (" << results.size()
               << " tuned now); " << rejected << " candidate(s) rejected\n"
               << "verified: the tuned model matches the reference "
                  "interpreter (worst "
               << llvm::formatv("{0:e2}", worst) << " of scale)\n";
  return kOk;
}

} // namespace dlc::tools
