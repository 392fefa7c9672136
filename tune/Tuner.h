//===- Tuner.h - compile and time a model under a tuning cache --*- C++ -*-===//
//
// The measuring half of `dlc tune`: the model's tunable fusions (the
// tiled_gemm and row_reduce fusions of the default compile, one per
// signature), its inputs (random, seeded) and params, and one measurement:
// compile under a tuning cache, run after a warm-up, and keep each kernel's
// CUDA-event time (cuda), the program's wall clock and the outputs. The
// comparisons that reject a candidate (relativeError, tolerance) are here
// too. Needs the compiler.
//
//===----------------------------------------------------------------------===//
#ifndef DLC_TUNE_TUNER_H
#define DLC_TUNE_TUNER_H

#include "passes/Schedule.h"
#include "runtime/core/Device.h"
#include "runtime/core/HostTensor.h"

#include "mlir/IR/BuiltinOps.h"

#include <map>
#include <string>
#include <vector>

namespace dlc {

/// A tunable fusion: its name, cache key and default schedule.
struct Tunable {
  std::string fusion, signature;
  mlir::dlc::Schedule base;
};

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
  /// `dev` is a CudaDevice (with profiling on) when `cuda`.
  Tuner(mlir::ModuleOp model, Device &dev, bool cuda, std::string target,
        unsigned repeat, uint64_t seed)
      : model(model), dev(dev), cuda(cuda), target(std::move(target)),
        repeat(repeat), seed(seed) {}

  /// The model's inputs (random) and params (its initializers).
  bool prepareInputs(std::string &err);
  const std::map<std::string, HostTensor> &modelInputs() const {
    return inputs;
  }

  /// The tiled_gemm and row_reduce fusions of the default compile, one per
  /// signature.
  bool tunables(std::vector<Tunable> &out);

  /// Compiles the model with `cache` ("" for none), runs it `repeat` times
  /// after a warm-up and times each kernel (cuda) and the whole program.
  bool measure(const std::string &cache, Measurement &out, std::string &err);

private:
  mlir::ModuleOp model;
  Device &dev;
  bool cuda;
  std::string target;
  unsigned repeat;
  uint64_t seed;
  std::map<std::string, HostTensor> inputs;
};

/// Largest |a - b| over the largest |b|: NaN when a NaN appears.
double relativeError(const HostTensor &a, const HostTensor &b);

/// What two schedules of one computation may differ by: the summation order
/// of f32 accumulators, then one rounding of the stored type.
double tolerance(DType t);

} // namespace dlc

#endif // DLC_TUNE_TUNER_H
