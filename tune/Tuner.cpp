//===- Tuner.cpp - compile and time a model under a tuning cache ----------===//
//
// Inputs are uniform in [-1, 1) from splitmix64 (integers 0 or 1, valid
// labels for any loss), so every candidate sees the same values; times are
// medians of `repeat` runs after one warm-up. See Tuner.h.
//
//===----------------------------------------------------------------------===//
#include "tune/Tuner.h"

#include "codegen/CudaEmitter.h"
#include "ir/FusionOps.h"
#include "ir/Interpreter.h"
#include "passes/Pipeline.h"
#include "runtime/core/FloatConvert.h"
#include "runtime/core/Program.h"
#include "runtime/core/RandomFill.h"
#include "runtime/cuda/CudaDevice.h"

#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringRef.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <set>

namespace dlc {

/// Element values as doubles, for comparisons.
static std::vector<double> toDoubles(const HostTensor &t) {
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


static double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

/// The model's inputs (random) and params (its initializers).
bool Tuner::prepareInputs(std::string &err) {
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
    HostTensor t = randomHostTensor(mv.dtype, mv.shape, s++ * 7919 + 1);
    // A training step's optimizer inputs (passes/TrainingStep.h) as in a
    // real step: step 10, lr 1e-3, second moments non-negative.
    if (mv.dtype == DType::F32 &&
        (mv.name == "opt.step" || mv.name == "opt.lr"))
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

/// The tiled_gemm and row_reduce fusions of the default compile, one per
/// signature.
bool Tuner::tunables(std::vector<Tunable> &out) {
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
bool Tuner::measure(const std::string &cache, Measurement &out,
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
  if (!Program::parse(emitted->manifestJson, emitted->source, program, err) ||
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
      for (const KernelTiming &k : static_cast<CudaDevice &>(dev).lastTimings())
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

} // namespace dlc
