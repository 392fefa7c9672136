//===- StepRunner.h - run a function, interpreted or compiled ---*- C++ -*-===//
//-*-===//
//
// `dlc train` runs two functions many times: the training step (forward,
// backward, optimizer update) and the forward model on the test set. A
// StepRunner runs one of them with tensors passed and returned by model
// name, whether it is interpreted (the reference interpreter, the oracle)
// or compiled once and loaded on a device (cpu or cuda): the epoch loop
// does not care which. Needs the compiler (MLIR).
//
//===----------------------------------------------------------------------===//
#ifndef DLC_TRAIN_STEPRUNNER_H
#define DLC_TRAIN_STEPRUNNER_H

#include "ir/Interpreter.h"
#include "runtime/core/Device.h"
#include "runtime/core/Program.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

#include <map>
#include <string>
#include <vector>

namespace dlc {

/// Arguments and results of a model function, by model name.
using NamedArgs = std::map<std::string, const HostTensor *>;
using NamedResults = std::map<std::string, HostTensor>;

class StepRunner {
public:
  virtual ~StepRunner() = default;
  /// Runs the function once; false with `err` set.
  virtual bool run(const NamedArgs &args, NamedResults &results,
                   std::string &err) = 0;
};

/// The function through the reference interpreter (f32).
class ReferenceRunner : public StepRunner {
public:
  ReferenceRunner(mlir::func::FuncOp func, std::vector<ModelValue> values)
      : func(func), values(std::move(values)) {}
  bool run(const NamedArgs &args, NamedResults &results,
           std::string &err) override;

private:
  mlir::func::FuncOp func;
  std::vector<ModelValue> values;
};

/// The function compiled (the whole pipeline, then CUDA emission) and
/// loaded on a device.
class CompiledRunner : public StepRunner {
public:
  /// Compiles `module` (consumed) and loads it on `dev`; false with `err`.
  /// The optimizer updates stay whole: the pipeline's --dlc-fuse-optimizer
  /// makes them one multi-tensor kernel. `emitDir`: where to write the
  /// program too (kernels.cu, manifest.json; "" for nowhere).
  bool init(mlir::ModuleOp module, Device &dev, std::string &err,
            const std::string &emitDir = "");
  bool run(const NamedArgs &args, NamedResults &results,
           std::string &err) override;

private:
  Device *device = nullptr;
  Program program;
  /// Each input, param and output buffer: its model name and role.
  std::map<std::string, std::pair<std::string, BufferRole>> roles;
};

} // namespace dlc

#endif // DLC_TRAIN_STEPRUNNER_H
