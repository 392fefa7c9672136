//===- StepRunner.cpp - run a model function, interpreted or compiled -----===//
//
// The reference runner orders the named arguments as the function's
// signature; the compiled one binds them to the manifest's buffers by
// model name. See StepRunner.h.
//
//===----------------------------------------------------------------------===//
#include "train/StepRunner.h"

#include "codegen/CudaEmitter.h"
#include "passes/Pipeline.h"

#include "mlir/Pass/PassManager.h"
#include "llvm/Support/FileSystem.h"

namespace dlc {

bool ReferenceRunner::run(const NamedArgs &args, NamedResults &results,
                          std::string &err) {
  std::vector<HostTensor> in;
  for (const ModelValue &mv : values)
    if (mv.kind != ModelValue::Kind::Output) {
      auto it = args.find(mv.name);
      if (it == args.end()) {
        err = "no value for '" + mv.name + "'";
        return false;
      }
      in.push_back(*it->second);
    }
  auto out = interpret(func, in, {Precision::F32});
  if (failed(out)) {
    err = "the reference interpreter failed (see above)";
    return false;
  }
  size_t i = 0;
  for (const ModelValue &mv : values)
    if (mv.kind == ModelValue::Kind::Output)
      results[mv.name] = std::move((*out)[i++]);
  return true;
}

/// kernels.cu and manifest.json of `program` in `dir`; false with `err`.
static bool writeProgram(const std::string &dir,
                         const mlir::dlc::CudaProgram &program,
                         std::string &err) {
  if (std::error_code ec = llvm::sys::fs::create_directories(dir)) {
    err = "--emit-step: cannot create '" + dir + "': " + ec.message();
    return false;
  }
  if (!mlir::dlc::writeCudaProgram(dir, program, err)) {
    err = "--emit-step: " + err;
    return false;
  }
  return true;
}

bool CompiledRunner::init(mlir::ModuleOp module, Device &dev, std::string &err,
                          const std::string &emitDir) {
  device = &dev;
  mlir::func::FuncOp func = getModelFunction(module);
  auto values = describeModel(func);
  if (failed(values)) {
    err = "cannot describe the model (see above)";
    return false;
  }
  mlir::PassManager pm(module->getName());
  mlir::dlc::PipelineOptions pipeline;
  pipeline.target = dev.codegenTarget();
  mlir::dlc::buildCompilePipeline(pm, pipeline);
  if (failed(pm.run(module))) {
    err = "the compile pipeline failed (see above)";
    return false;
  }
  auto emitted = mlir::dlc::emitCuda(func);
  if (failed(emitted)) {
    err = "CUDA emission failed (see above)";
    return false;
  }
  if (!emitDir.empty() && !writeProgram(emitDir, *emitted, err))
    return false;
  if (!Program::parse(emitted->manifestJson, emitted->source, program, err))
    return false;
  for (const ProgramBuffer &b : program.buffers())
    if (b.role != BufferRole::Intermediate)
      roles[b.name] = {b.modelName, b.role};
  return device->load(program, err);
}

bool CompiledRunner::run(const NamedArgs &args, NamedResults &results,
                         std::string &err) {
  auto outputs = makeOutputs(program);
  BufferBindings bindings;
  for (auto &[name, info] : roles) {
    if (info.second == BufferRole::Output) {
      bindings[name] = &outputs.at(name);
      continue;
    }
    auto it = args.find(info.first);
    if (it == args.end()) {
      err = "no value for '" + info.first + "'";
      return false;
    }
    bindings[name] = const_cast<HostTensor *>(it->second);
  }
  if (!device->run(bindings, err))
    return false;
  for (auto &[name, info] : roles)
    if (info.second == BufferRole::Output)
      results[info.first] = std::move(outputs.at(name));
  return true;
}

} // namespace dlc
